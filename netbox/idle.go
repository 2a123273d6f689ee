package netbox

// CloseIdleConnections closes the client's kept-alive connections to
// NetBox, so that a stopping process leaves no connection goroutine behind.
// Calls in flight are not affected, and later calls dial again.
func (c *Client) CloseIdleConnections() { c.s.httpClient.CloseIdleConnections() }
