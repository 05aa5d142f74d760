"""Switchboard's domain package: shipped to every Lambda function as a layer."""
