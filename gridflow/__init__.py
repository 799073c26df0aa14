"""GridFlow's command line and top-level entry points (the engine lives in ``engine``)."""
__version__ = "0.1.0"
