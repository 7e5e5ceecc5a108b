import LadderMedia

/// File-level type boxes.
public enum FileTypeBoxes {
    /// FileTypeBox `ftyp` (ISO/IEC 14496-12 4.3): major brand, minor version, compatible brands.
    public static func writeFileType(
        _ writer: inout BoxWriter, majorBrand: FourCC, minorVersion: UInt32, compatibleBrands: [FourCC]
    ) {
        writeBrands(&writer, type: "ftyp", majorBrand: majorBrand, minorVersion: minorVersion, compatibleBrands)
    }

    /// SegmentTypeBox `styp` (ISO/IEC 14496-12 8.16.2): same syntax as `ftyp`, at the start of a segment.
    public static func writeSegmentType(
        _ writer: inout BoxWriter, majorBrand: FourCC, minorVersion: UInt32, compatibleBrands: [FourCC]
    ) {
        writeBrands(&writer, type: "styp", majorBrand: majorBrand, minorVersion: minorVersion, compatibleBrands)
    }

    private static func writeBrands(
        _ writer: inout BoxWriter, type: FourCC, majorBrand: FourCC, minorVersion: UInt32, _ brands: [FourCC]
    ) {
        writer.writeBox(type) { box in
            box.writeFourCC(majorBrand)
            box.writeUInt32(minorVersion)
            for brand in brands {
                box.writeFourCC(brand)
            }
        }
    }
}
