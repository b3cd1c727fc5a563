"""The GraphQL surface: translates requests into persona service calls and results back."""
