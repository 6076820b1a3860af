"""Geography endpoints: streets, communities, grids and point location."""
from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView

from backend.core.api import Blueprint
from backend.core.auth import require
from backend.core.pagination import paginate
from backend.extensions import db
from backend.grids import presenters, service
from backend.grids.models import Community, Grid, Street
from backend.grids.schemas import (CommunityFilterSchema, CommunitySchema, GridDetailSchema, GridFilterSchema,
                                   GridSchema, LocateArgsSchema, LocationSchema, StreetSchema)

blp = Blueprint("grids", __name__, url_prefix="/api/v1", description="Streets, communities and grids (网格)")


@blp.route("/streets")
class Streets(MethodView):
    @require("authenticated")
    @blp.response(200, StreetSchema(many=True))
    def get(self):
        """All streets (街道/镇) of the district"""
        return db.session.scalars(sa.select(Street).order_by(Street.code)).all()


@blp.route("/communities")
class Communities(MethodView):
    @require("authenticated")
    @blp.arguments(CommunityFilterSchema, location="query")
    @blp.response(200, CommunitySchema(many=True))
    def get(self, args):
        """Communities (社区/村), optionally of one street"""
        query = sa.select(Community).order_by(Community.code)
        if "street_id" in args:
            query = query.where(Community.street_id == args["street_id"])
        return db.session.scalars(query).all()


@blp.route("/grids")
class Grids(MethodView):
    @require("authenticated")
    @blp.arguments(GridFilterSchema, location="query")
    @blp.response(200, GridSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Grids (网格), optionally of one community or street, paginated"""
        query = sa.select(Grid).order_by(Grid.code)
        if "community_id" in args:
            query = query.where(Grid.community_id == args["community_id"])
        if "street_id" in args:
            query = query.join(Community).where(Community.street_id == args["street_id"])
        return paginate(query, pagination_parameters)


@blp.route("/grids/locate")
class Locate(MethodView):
    @require("authenticated")
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocationSchema)
    @blp.alt_response(404, description="The point is outside every grid (reason `outside_district`)")
    def get(self, args):
        """The grid, community and street containing a point"""
        grid = service.locate(args["lat"], args["lng"])
        return {"grid": grid, "community": grid.community, "street": grid.community.street}


@blp.route("/grids/<int:grid_id>")
class GridDetail(MethodView):
    @require("authenticated")
    @blp.response(200, GridDetailSchema)
    def get(self, grid_id):
        """One grid: its boundary (GeoJSON) and its staff, with who is on duty now"""
        return presenters.grid_detail(service.get_grid(grid_id))
