"""Placeholder replaced below."""
def national_report(dataset, threshold=0, service=""):
    raise NotImplementedError
