from django.http import HttpResponse


def registry_list(request):
    return HttpResponse("todo")
