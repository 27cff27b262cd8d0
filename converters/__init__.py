"""Model loaders: every supported file format is normalised into ``polyx.converters.ir.chain.Network``."""
