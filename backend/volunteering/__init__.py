"""Volunteering — 志愿服务: teams, activities and shifts, fair sign-ups, QR check-in, hours, points
and the community charity supermarket (爱心超市)."""
