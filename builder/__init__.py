"""affsite: YAML to a static eBay Partner Network affiliate site."""
