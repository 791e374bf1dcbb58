"""Figures for the app: plotly charts of metric events and Graphviz diagrams of a unit.

May import any layer below (models/, data/, training/); nothing imports viz/ but the app.
"""
