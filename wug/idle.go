package wug

// CloseIdleConnections closes the client's kept-alive connections to the
// server, so that a stopping process leaves no connection goroutine behind.
// Calls in flight are not affected, and later calls dial again.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
