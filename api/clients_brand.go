package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/greenlight/greenlight/service"
)

// patchClient: PATCH /api/v1/clients/:id with any of time_zone, language, sender_name,
// brand_color, logo_media_id, reminder_after, escalate_after, digest_window → 200 with the client. Absent
// fields stay; 422 names the invalid field.
func patchClient(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			TimeZone      *string `json:"time_zone"`
			Language      *string `json:"language"`
			SenderName    *string `json:"sender_name"`
			BrandColor    *string `json:"brand_color"`
			LogoMediaID   *string `json:"logo_media_id"`
			ReminderAfter *string `json:"reminder_after"`
			EscalateAfter *string `json:"escalate_after"`
			DigestWindow  *string `json:"digest_window"`
		}
		if err := decode(c, &req); err != nil {
			return err
		}
		cl, err := svc.UpdateClient(c.UserContext(), currentUser(c), c.Params("id"), service.ClientPatch{
			TimeZone: req.TimeZone, Language: req.Language, SenderName: req.SenderName, BrandColor: req.BrandColor,
			LogoMediaID: req.LogoMediaID, ReminderAfter: req.ReminderAfter, EscalateAfter: req.EscalateAfter,
			DigestWindow: req.DigestWindow,
		})
		if err != nil {
			return err
		}
		return c.JSON(toClient(cl, currentUser(c)))
	}
}

// durationText is a client timer as the API shows it: "" for the default.
func durationText(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.String()
}

// approvalStats: GET /api/v1/clients/:id/approval-stats?from=YYYY-MM-DD&to=YYYY-MM-DD →
// the client's approval insights per month of its time zone (see service.ApprovalStats).
func approvalStats(svc *service.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st, err := svc.ApprovalStats(c.UserContext(), currentUser(c), c.Params("id"), c.Query("from"), c.Query("to"))
		if err != nil {
			return err
		}
		return c.JSON(st)
	}
}
