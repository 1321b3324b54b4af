"""The GraphQL transport: the schema and its types, thin resolvers over the services, the
document limits, the request view and the one place where errors get their contract codes."""
