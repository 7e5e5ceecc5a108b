"""The time code that scripts/lib/glass.py burns into every frame and reads back: the strip's layout
(BOXES, BOX, ORIGIN, DATA_BITS; described in glass.py's docstring), the geq expression that draws it
(CODE_EXPR), the ffmpeg filter graph around it (code_filter) and its CRC-8 in Python (crc8).
"""

BOXES = 52
BOX = 24            # px at 1280x720
ORIGIN = 16         # top-left corner of the strip, px at 1280x720
DATA_BITS = 40

# The geq expression: ld(0) = ms mod 2^40, ld(1) = CRC-8 of it, then one pixel per box (X).
CODE_EXPR = (
    f"st(0,mod(floor(T*1000+0.5),{2 ** DATA_BITS}));"
    "st(1,0);st(2,39);while(gte(ld(2),0),"
    "st(3,mod(floor(ld(0)/pow(2,ld(2))),2));st(4,gte(ld(1),128));st(1,mod(ld(1)*2,256));"
    "st(1,if(ld(3)-ld(4),ld(1)+7-2*bitand(ld(1),7),ld(1)));st(2,ld(2)-1));"
    "255*if(lt(X,2),1-X,if(lt(X,42),mod(floor(ld(0)/pow(2,41-X)),2),"
    "if(lt(X,50),mod(floor(ld(1)/pow(2,49-X)),2),X-50)))"
)


def code_filter(start_ms=None, step_ms=None, fps=30):
    """[0:v] -> [v]: the time code overlaid; output timestamps are the frame index at FPS."""
    if start_ms is None:
        stamp = "settb=AVTB,setpts=RTCTIME"            # microseconds since the epoch
    else:
        stamp = f"settb=1/1000,setpts={int(start_ms)}+N*{int(step_ms)}"
    return (f"[0:v]{stamp},split[glass_main][glass_c];"
            f"[glass_c]scale={BOXES}:2:flags=neighbor,format=gray,geq=lum='{CODE_EXPR}',"
            f"scale={BOXES * BOX}:{BOX}:flags=neighbor,format=yuv420p[glass_code];"
            f"[glass_main][glass_code]overlay={ORIGIN}:{ORIGIN}:shortest=1,settb=1/{fps},setpts=N[v]")


def crc8(value):
    crc = 0
    for i in range(DATA_BITS - 1, -1, -1):
        bit, top = (value >> i) & 1, crc >> 7
        crc = (crc << 1) & 0xFF
        if bit != top:
            crc ^= 0x07
    return crc
