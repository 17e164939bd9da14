"""The four partner extracts, one module each, rendered from the population.

Why a package: each partner records persons its own way (columns, formats, noise); a module per
source keeps that knowledge in one place. ``clerk`` holds what the sources share: how a clerk
types an address and which address a record carries.
"""
