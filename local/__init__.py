"""Backchannel on one machine: moto as the AWS, a gateway that reads ``template.yaml``, in-process functions.

``python -m local`` (``make run``) starts it; see :mod:`local.runner`.
"""
