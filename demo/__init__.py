"""The demo generator (seed-demo): the invented city 江澄市 and disputes lived by the services' rules. Not part of the product."""
