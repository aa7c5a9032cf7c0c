from django.urls import path

from matchmaking import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
]
