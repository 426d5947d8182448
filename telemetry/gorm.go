package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

// InstrumentDB adds a client span per database statement run through db: named after the
// operation and table ("query posts"), with db.system.name and the statement's SQL as
// prepared (placeholders, never the argument values). A statement under a request or an
// activity is a child of its span. Nil t: nothing.
func (t *Tracing) InstrumentDB(db *gorm.DB) error {
	if t == nil {
		return nil
	}
	return db.Use(&gormPlugin{tracer: t.provider.Tracer("gorm.io/gorm")})
}

type gormPlugin struct{ tracer trace.Tracer }

func (p *gormPlugin) Name() string { return "greenlight:opentelemetry" }

// Initialize registers the span around each of GORM's processors.
func (p *gormPlugin) Initialize(db *gorm.DB) error {
	cb := db.Callback()
	for _, op := range []struct {
		name   string
		before func(string, func(*gorm.DB)) error
		after  func(string, func(*gorm.DB)) error
	}{
		{"create", cb.Create().Before("*").Register, cb.Create().After("*").Register},
		{"query", cb.Query().Before("*").Register, cb.Query().After("*").Register},
		{"update", cb.Update().Before("*").Register, cb.Update().After("*").Register},
		{"delete", cb.Delete().Before("*").Register, cb.Delete().After("*").Register},
		{"row", cb.Row().Before("*").Register, cb.Row().After("*").Register},
		{"raw", cb.Raw().Before("*").Register, cb.Raw().After("*").Register},
	} {
		if err := op.before("otel:before_"+op.name, p.start(op.name)); err != nil {
			return err
		}
		if err := op.after("otel:after_"+op.name, p.end); err != nil {
			return err
		}
	}
	return nil
}

const (
	spanKey   = "otel:span"
	parentKey = "otel:parent"
)

func (p *gormPlugin) start(op string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		if db.Statement == nil || db.Statement.Context == nil {
			return
		}
		name := op
		if db.Statement.Table != "" {
			name += " " + db.Statement.Table
		}
		ctx, span := p.tracer.Start(db.Statement.Context, name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system.name", dialect(db)), attribute.String("db.operation.name", op)))
		if db.Statement.Table != "" {
			span.SetAttributes(attribute.String("db.collection.name", db.Statement.Table))
		}
		db.InstanceSet(parentKey, db.Statement.Context)
		db.InstanceSet(spanKey, span)
		db.Statement.Context = ctx
	}
}

func (p *gormPlugin) end(db *gorm.DB) {
	v, ok := db.InstanceGet(spanKey)
	if !ok {
		return
	}
	span, ok := v.(trace.Span)
	if !ok {
		return
	}
	defer span.End()
	if parent, ok := db.InstanceGet(parentKey); ok {
		if ctx, ok := parent.(context.Context); ok {
			db.Statement.Context = ctx // a later statement on the same session is not a child of this one
		}
	}
	if sql := db.Statement.SQL.String(); sql != "" {
		span.SetAttributes(attribute.String("db.query.text", sql))
	}
	span.SetAttributes(attribute.Int64("db.response.returned_rows", db.RowsAffected))
	if err := db.Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
}

func dialect(db *gorm.DB) string {
	switch db.Dialector.Name() {
	case "postgres":
		return "postgresql"
	default:
		return db.Dialector.Name()
	}
}
