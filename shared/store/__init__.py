"""The store layer: DynamoDB tables (PynamoDB models) and the operations on them."""
