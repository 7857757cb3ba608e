from django.urls import path

from referentiel import views

app_name = "referentiel"
urlpatterns = [
    path("", views.index, name="index"),
    path("recherche/", views.recherche, name="recherche"),
    path("<str:code>.json", views.export_json, name="export-json"),
    path("<str:code>/", views.poles, name="poles"),
    path("<str:code>/activites/<str:activite>/", views.activite, name="activite"),
    path("<str:code>/blocs/", views.blocs, name="blocs"),
    path("<str:code>/competences/<int:pk>/", views.competence, name="competence"),
]
