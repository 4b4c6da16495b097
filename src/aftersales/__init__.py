"""aftersales: after-sales service platform for consumer brands."""

__version__ = "0.1.0"
