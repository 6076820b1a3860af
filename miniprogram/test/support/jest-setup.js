// Globals the mini-program runtime provides and TDesign expects at load time.
global.getApp = () => ({ globalData: {} });
global.getCurrentPages = () => [];
