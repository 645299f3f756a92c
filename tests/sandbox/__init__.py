"""Tests for the local Mollie sandbox (mollie_sandbox), driven through the official client."""
