"""Developer tools beside the product (not imported by it): the workflow diagram."""
