#!/bin/sh
# SSH_ASKPASS for the real ssh client in the lab's tests: answers every prompt with the password.
printf '%s\n' "$PCW_LAB_SSH_PASSWORD"
