"""What both transports share: the request scope (one viewer, one access token, one unit of
work, one set of loaders) that the GraphQL context and the REST handlers are thin views of."""
