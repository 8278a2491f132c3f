"""Mobile voting (엠보팅)."""
