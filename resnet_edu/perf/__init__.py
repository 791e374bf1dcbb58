"""Speed: the training benchmark (`python -m resnet_edu bench`) and the memory-traffic estimate.

May import training/, models/ and data/; only the CLI imports perf/.
"""
