"""lutgrid"""
