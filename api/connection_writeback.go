package api

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// writebackFieldIndex is the partial unique index that keeps two write-back
// connections off one custom field (migration 00005); the check below
// answers first with the other connection's name, the index closes the race.
const writebackFieldIndex = "uq_wug_connections_writeback_field"

// checkWritebackField refuses (422) a write-back connection that names the
// custom field another write-back connection writes.
func (s *Server) checkWritebackField(ctx context.Context, conn models.WUGConnection) error {
	if !conn.NetBoxWriteback {
		return nil
	}
	var other models.WUGConnection
	err := s.p.DB.WithContext(ctx).
		Where("netbox_writeback = ? AND netbox_custom_field = ? AND id <> ?", true, conn.NetBoxCustomField, conn.ID).
		First(&other).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("look for connections writing custom field %q: %w", conn.NetBoxCustomField, err)
	}
	return errWritebackFieldTaken(conn.NetBoxCustomField, other.Name)
}

// saveConflict explains a unique violation of a connection's save: the
// write-back field taken meanwhile (422), or the name (409).
func saveConflict(conn models.WUGConnection, err error) error {
	if models.IsUniqueViolationOf(err, writebackFieldIndex, "netbox_custom_field") {
		return errWritebackFieldTaken(conn.NetBoxCustomField, "another connection")
	}
	return errNameTaken(conn.Name)
}
