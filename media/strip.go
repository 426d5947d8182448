package media

import (
	"bytes"
	"encoding/binary"
)

// stripJPEG removes metadata segments without re-encoding: APP1 (EXIF, XMP: GPS, camera
// serial numbers), APP13 (IPTC), APP3–APP13 and APP15, and comments. APP0 (JFIF), APP2
// (ICC colour profile) and APP14 (Adobe colour transform) stay: decoders need them. The
// EXIF orientation is kept in a minimal EXIF segment holding only that tag, so the image
// still displays upright. It returns the orientation (1 when none).
func stripJPEG(b []byte) ([]byte, int, error) {
	bad := damaged(JPEG)
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, 0, bad
	}
	var (
		head   []byte // SOI and APP0, before which nothing may go
		rest   []byte
		orient = 1
		i      = 2
	)
	head = append(head, 0xFF, 0xD8)
	for {
		if i >= len(b) || b[i] != 0xFF {
			return nil, 0, bad
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return nil, 0, bad
		}
		m := b[i]
		i++
		if m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			rest = append(rest, 0xFF, m)
			continue
		}
		if m == 0xD8 || m == 0xD9 {
			// A second SOI, or the end before any scan: not an image.
			return nil, 0, bad
		}
		if i+2 > len(b) {
			return nil, 0, bad
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, 0, bad
		}
		seg := b[i-2 : i+n]
		switch {
		case m == 0xE1:
			if o := exifOrientation(b[i+2 : i+n]); o > 0 {
				orient = o
			}
		case m == 0xE0 && len(rest) == 0:
			head = append(head, seg...)
		case m == 0xE0 || m == 0xE2 || m == 0xEE:
			rest = append(rest, seg...)
		case m >= 0xE3 && m <= 0xEF, m == 0xFE:
			// metadata or comment: dropped
		default:
			rest = append(rest, seg...)
		}
		i += n
		if m == 0xDA { // start of scan: the entropy-coded data and what follows stay as they are
			rest = append(rest, b[i:]...)
			break
		}
	}
	out := make([]byte, 0, len(head)+len(rest)+36)
	out = append(out, head...)
	if orient > 1 {
		out = append(out, orientationSegment(orient)...)
	}
	return append(out, rest...), orient, nil
}

// orientationSegment is an APP1 EXIF segment holding only the orientation tag.
func orientationSegment(o int) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation, SHORT, count 1, value
		0, 0, 0, 0} // no next IFD
	seg := []byte{0xFF, 0xE1, 0, 0}
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, tiff...)
	binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
	return seg
}

// exifOrientation reads the Orientation tag (1–8) from an APP1 payload, 0 when absent.
func exifOrientation(p []byte) int {
	tiff, ok := bytes.CutPrefix(p, []byte("Exif\x00\x00"))
	if !ok || len(tiff) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 0
	}
	off := int(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > len(tiff) {
		return 0
	}
	n := int(bo.Uint16(tiff[off:]))
	for k := range n {
		e := off + 2 + 12*k
		if e+12 > len(tiff) {
			return 0
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 {
			if o := int(bo.Uint16(tiff[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

// pngDropped are the PNG chunks that carry text or EXIF metadata.
var pngDropped = map[string]bool{"eXIf": true, "tEXt": true, "iTXt": true, "zTXt": true, "tIME": true}

// stripPNG drops text, time and EXIF chunks, and anything after IEND.
func stripPNG(b []byte) ([]byte, error) {
	const sig = 8
	out := append([]byte(nil), b[:sig]...)
	for i := sig; ; {
		if i+12 > len(b) {
			return nil, damaged(PNG)
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		end := i + 12 + n
		if n < 0 || n > len(b) || end > len(b) {
			return nil, damaged(PNG)
		}
		typ := string(b[i+4 : i+8])
		if !pngDropped[typ] {
			out = append(out, b[i:end]...)
		}
		i = end
		if typ == "IEND" {
			return out, nil
		}
	}
}

// stripWebP drops the EXIF and XMP chunks of a RIFF WebP and clears their flags in VP8X.
func stripWebP(b []byte) ([]byte, error) {
	out := append([]byte(nil), b[:12]...)
	size := int(binary.LittleEndian.Uint32(b[4:]))
	if size+8 > len(b) || size < 4 {
		return nil, damaged(WebP)
	}
	b = b[:size+8]
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, damaged(WebP)
		}
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n%2
		if n < 0 || n > len(b) || end > len(b) {
			if end == len(b)+1 { // a missing final pad byte
				end = len(b)
			} else {
				return nil, damaged(WebP)
			}
		}
		switch string(b[i : i+4]) {
		case "EXIF", "XMP ":
		case "VP8X":
			start := len(out)
			out = append(out, b[i:end]...)
			if n > 0 {
				out[start+8] &^= 0x08 | 0x04 // EXIF and XMP present
			}
		default:
			out = append(out, b[i:end]...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}

// processMP4 checks the box structure of an MP4, reads its duration and size, and turns
// user-data and metadata boxes (where phones record GPS) into zeroed free boxes of the
// same length, so no sample offset moves.
func processMP4(b []byte) (data []byte, w, h int, durMS int64, err error) {
	data = append([]byte(nil), b...)
	top, ok := boxes(data)
	if !ok {
		return nil, 0, 0, 0, damaged(MP4)
	}
	var moov []byte
	hasData := false
	for _, bx := range top {
		switch bx.typ {
		case "moov":
			moov = bx.body
		case "mdat":
			hasData = true
		case "udta", "meta":
			bx.free()
		}
	}
	if moov == nil || !hasData {
		return nil, 0, 0, 0, invalid("file: not a playable MP4 video: no movie header or no media data")
	}
	kids, ok := boxes(moov)
	if !ok {
		return nil, 0, 0, 0, damaged(MP4)
	}
	for _, bx := range kids {
		switch bx.typ {
		case "mvhd":
			durMS = mvhdDuration(bx.body)
		case "udta", "meta":
			bx.free()
		case "trak":
			tk, ok := boxes(bx.body)
			if !ok {
				return nil, 0, 0, 0, damaged(MP4)
			}
			for _, t := range tk {
				switch t.typ {
				case "tkhd":
					if tw, th := tkhdSize(t.body); w == 0 && tw > 0 && th > 0 {
						w, h = tw, th
					}
				case "udta", "meta":
					t.free()
				}
			}
		}
	}
	return data, w, h, durMS, nil
}

type box struct {
	typ    string
	header []byte // aliases the file, so renaming the type edits it
	body   []byte
}

// free turns the box into a free box of the same size and zeroes its content.
func (b box) free() {
	copy(b.header[4:8], "free")
	clear(b.body)
}

// boxes splits b into ISO BMFF boxes; false when a size runs past the end.
func boxes(b []byte) ([]box, bool) {
	var out []box
	for i := 0; i < len(b); {
		if i+8 > len(b) {
			return nil, false
		}
		size := uint64(binary.BigEndian.Uint32(b[i:]))
		hl := 8
		switch size {
		case 0:
			size = uint64(len(b) - i)
		case 1:
			if i+16 > len(b) {
				return nil, false
			}
			size, hl = binary.BigEndian.Uint64(b[i+8:]), 16
		}
		if size < uint64(hl) || size > uint64(len(b)-i) {
			return nil, false
		}
		end := i + int(size)
		out = append(out, box{typ: string(b[i+4 : i+8]), header: b[i : i+hl], body: b[i+hl : end]})
		i = end
	}
	return out, true
}

func mvhdDuration(p []byte) int64 {
	if len(p) < 4 {
		return 0
	}
	var scale, dur uint64
	switch p[0] {
	case 0:
		if len(p) < 20 {
			return 0
		}
		scale, dur = uint64(binary.BigEndian.Uint32(p[12:])), uint64(binary.BigEndian.Uint32(p[16:]))
	case 1:
		if len(p) < 32 {
			return 0
		}
		scale, dur = uint64(binary.BigEndian.Uint32(p[20:])), binary.BigEndian.Uint64(p[24:])
	}
	if scale == 0 || dur == ^uint64(0) || dur > 1<<50 {
		return 0
	}
	return int64(dur * 1000 / scale)
}

// tkhdSize reads a track header's width and height (16.16 fixed point, the last 8 bytes).
func tkhdSize(p []byte) (int, int) {
	if len(p) < 84 {
		return 0, 0
	}
	return int(binary.BigEndian.Uint32(p[len(p)-8:]) >> 16), int(binary.BigEndian.Uint32(p[len(p)-4:]) >> 16)
}

// stripGIF drops comment extensions and application extensions other than the looping
// ones (XMP travels in an application extension), block by block without re-encoding,
// and anything after the trailer.
func stripGIF(b []byte) ([]byte, error) {
	bad := damaged(GIF)
	if len(b) < 13 {
		return nil, bad
	}
	i := 13
	if b[10]&0x80 != 0 { // global colour table
		i += 3 << (int(b[10]&0x07) + 1)
	}
	if i > len(b) {
		return nil, bad
	}
	out := append([]byte(nil), b[:i]...)
	// subBlocks returns the end of the data sub-blocks starting at j.
	subBlocks := func(j int) (int, bool) {
		for {
			if j >= len(b) {
				return 0, false
			}
			n := int(b[j])
			j++
			if n == 0 {
				return j, true
			}
			j += n
		}
	}
	for {
		if i >= len(b) {
			return nil, bad
		}
		switch b[i] {
		case 0x3B: // trailer
			return append(out, 0x3B), nil
		case 0x21: // extension: label, then sub-blocks
			if i+2 > len(b) {
				return nil, bad
			}
			end, ok := subBlocks(i + 2)
			if !ok {
				return nil, bad
			}
			keep := true
			switch b[i+1] {
			case 0xFE: // comment
				keep = false
			case 0xFF: // application: keep only the loop count
				app := b[i+2 : min(end, i+14)]
				keep = bytes.Contains(app, []byte("NETSCAPE2.0")) || bytes.Contains(app, []byte("ANIMEXTS1.0"))
			}
			if keep {
				out = append(out, b[i:end]...)
			}
			i = end
		case 0x2C: // image: descriptor, local colour table, LZW code size, sub-blocks
			j := i + 10
			if j > len(b) {
				return nil, bad
			}
			if b[i+9]&0x80 != 0 {
				j += 3 << (int(b[i+9]&0x07) + 1)
			}
			end, ok := subBlocks(j + 1)
			if !ok {
				return nil, bad
			}
			out = append(out, b[i:end]...)
			i = end
		default:
			return nil, bad
		}
	}
}
