package workers

// Close releases what the server's task runners keep between tasks: the
// kept-alive connections of every WUG client and of the NetBox client.
// Call it after Shutdown, when no task runs any more.
func (s *Server) Close() {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	for _, c := range s.w.clients {
		c.client.CloseIdleConnections()
	}
	if s.w.p.NetBox != nil {
		s.w.p.NetBox.CloseIdleConnections()
	}
}
