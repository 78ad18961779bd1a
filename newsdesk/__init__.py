"""newsdesk: answers questions about news coverage by quoting the passages that answer them."""
