"""Where products come from: catalog sources (live eBay, a directory of responses), normalization, links."""
