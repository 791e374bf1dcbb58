"""ResNet Lab: run the ResNet papers (He et al. 2015, 2016) instead of only reading them."""

__version__ = "0.1.0"
