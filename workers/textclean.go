package workers

import (
	"reflect"

	"gorm.io/gorm"
)

// outsideTextColumns are the columns that store text from outside wugsync
// (NetBox names and error texts, WUG error texts and scan states), by table.
// Such text may carry control characters, which PostgreSQL refuses (NUL)
// and which would reach a person's terminal or page (escape sequences).
var outsideTextColumns = map[string][]string{
	"netbox_ip_exports": {"netbox_device_name", "ip_address", "error_message", "skip_reason", "wug_scan_status"},
	"export_attempts":   {"error"},
	"sync_plan_entries": {"device_name", "ip_address", "reason", "error"},
	"wug_sync_logs":     {"error_message", "summary"},
}

const textCleaningCallback = "wugsync:clean_outside_text"

// registerTextCleaning makes every create and update of db pass the outside
// text columns through cleanText first, whichever code path writes them.
// It registers once per database handle.
func registerTextCleaning(db *gorm.DB) {
	if db == nil || db.Callback().Create().Get(textCleaningCallback) != nil {
		return
	}
	_ = db.Callback().Create().Before("gorm:create").Register(textCleaningCallback, cleanOutsideText)
	_ = db.Callback().Update().Before("gorm:update").Register(textCleaningCallback, cleanOutsideText)
}

func cleanOutsideText(tx *gorm.DB) {
	st := tx.Statement
	columns, ok := outsideTextColumns[st.Table]
	if !ok {
		return
	}
	if m, ok := st.Dest.(map[string]any); ok {
		for _, col := range columns {
			if s, ok := m[col].(string); ok {
				m[col] = cleanText(s)
			}
		}
		return
	}
	if st.Schema == nil || !st.ReflectValue.IsValid() {
		return
	}
	clean := func(rv reflect.Value) {
		for _, col := range columns {
			field := st.Schema.LookUpField(col)
			if field == nil {
				continue
			}
			v, zero := field.ValueOf(st.Context, rv)
			if s, ok := v.(string); ok && !zero {
				if c := cleanText(s); c != s {
					_ = field.Set(st.Context, rv, c)
				}
			}
		}
	}
	switch rv := reflect.Indirect(st.ReflectValue); rv.Kind() {
	case reflect.Struct:
		clean(rv)
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if el := reflect.Indirect(rv.Index(i)); el.Kind() == reflect.Struct {
				clean(el)
			}
		}
	}
}
