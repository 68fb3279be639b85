"""Services: each takes a unit of work (or a read session) and the actor, checks permission first,
and returns plain data."""
