"""ConnectWise look-ups for the partner's picking screens: catalog, companies, agreements,
additions — proxied live, paged and searchable, each within the look-up timeout."""
