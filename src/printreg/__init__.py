"""printreg: a clinical data registry platform for point-of-care medical 3D printing."""

__version__ = "0.1.0"
