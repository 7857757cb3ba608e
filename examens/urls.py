from examens.echeances.urls import urlpatterns as echeances
from examens.organisation.urls import urlpatterns as organisation
from examens.urls_bureau import urlpatterns as bureau
from examens.urls_documents import urlpatterns as documents
from examens.urls_grilles import urlpatterns as grilles

app_name = "examens"
urlpatterns = bureau + grilles + documents + organisation + echeances
