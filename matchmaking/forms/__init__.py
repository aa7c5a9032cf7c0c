"""Forms of the web pages, one module per concept. Validation rules live on the models and in the
services; the forms only call them (as the API's serializers do) and present the vocabularies in the
user's language."""
