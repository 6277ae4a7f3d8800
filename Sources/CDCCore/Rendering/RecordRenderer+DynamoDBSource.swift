/// Rendering of records captured from DynamoDB Streams (`ChangeRecord.dynamodb` set).
///
/// **dynamodb format**: the record as DynamoDB Streams delivered it to Lambda — `eventID`,
/// `eventName`, `eventVersion`, `eventSource` (`aws:dynamodb`), `awsRegion`, `eventSourceARN` (the
/// stream's ARN), `dynamodb` {`ApproximateCreationDateTime` (the number as received), `Keys`,
/// `NewImage`, `OldImage` (typed AttributeValues as received), `SequenceNumber`, `SizeBytes`,
/// `StreamViewType`}. The pipeline's view can only narrow the images: `StreamViewType` then names
/// what is left.
///
/// **cdcd format**: `eventID`, `eventName`, `eventSource` (`cdcd:dynamodb`), `sequenceNumber`
/// (DynamoDB's), `table` (`dynamodb.<TableName>`), `source` {`streamArn`, `shard`, `region`,
/// `table`, `approximateCreationDateTime` (RFC 3339)}, `keys`, `newImage`, `oldImage` (plain JSON:
/// numbers keep their exact text), `unchangedColumns` (`[]`), `sizeBytes` (DynamoDB's SizeBytes).
extension RecordRenderer {
    func renderDynamoDBSource(_ r: ChangeRecord, _ d: DynamoDBChange, into w: inout JSONWriter) {
        let newImage = view.includesNewImage ? d.newImage : nil
        let oldImage = view.includesOldImage ? d.oldImage : nil
        switch format {
        case .dynamodb:
            w.writeRaw("{\"eventID\":")
            w.writeString(d.eventID)
            w.writeRaw(",\"eventName\":")
            w.writeString(r.eventName.rawValue)
            w.writeRaw(",\"eventVersion\":")
            w.writeString(d.eventVersion)
            w.writeRaw(",\"eventSource\":\"aws:dynamodb\",\"awsRegion\":")
            w.writeString(d.awsRegion)
            w.writeRaw(",\"eventSourceARN\":")
            w.writeString(d.streamARN)
            w.writeRaw(",\"dynamodb\":{\"ApproximateCreationDateTime\":")
            Self.writeNumberText(d.approximateCreationDateTime, into: &w)
            w.writeRaw(",\"Keys\":")
            d.keys.write(into: &w)
            if let newImage {
                w.writeRaw(",\"NewImage\":")
                newImage.write(into: &w)
            }
            if let oldImage {
                w.writeRaw(",\"OldImage\":")
                oldImage.write(into: &w)
            }
            w.writeRaw(",\"SequenceNumber\":")
            w.writeString(d.sequenceNumber)
            w.writeRaw(",\"SizeBytes\":")
            w.writeInt(d.sizeBytes)
            w.writeRaw(",\"StreamViewType\":")
            w.writeString(Self.narrowedViewType(d.streamViewType, view))
            w.writeRaw("}}")
        case .cdcd:
            w.writeRaw("{\"eventID\":")
            w.writeString(d.eventID)
            w.writeRaw(",\"eventName\":")
            w.writeString(r.eventName.rawValue)
            w.writeRaw(",\"eventSource\":\"cdcd:dynamodb\",\"sequenceNumber\":")
            w.writeString(d.sequenceNumber)
            w.writeRaw(",\"table\":")
            w.writeString(r.relation.qualifiedName)
            w.writeRaw(",\"source\":{\"streamArn\":")
            w.writeString(d.streamARN)
            w.writeRaw(",\"shard\":")
            w.writeString(d.shardID)
            w.writeRaw(",\"region\":")
            w.writeString(d.awsRegion)
            w.writeRaw(",\"table\":")
            w.writeString(r.relation.name)
            w.writeRaw(",\"approximateCreationDateTime\":")
            Self.writeTimestamp(postgresMicroseconds: r.commitTime, into: &w)
            w.writeRaw(",\"snapshot\":false}")
            w.writeRaw(",\"keys\":")
            DynamoDBAttributeValue.plainMap(d.keys).write(into: &w)
            if let newImage {
                w.writeRaw(",\"newImage\":")
                DynamoDBAttributeValue.plainMap(newImage).write(into: &w)
            }
            if let oldImage {
                w.writeRaw(",\"oldImage\":")
                DynamoDBAttributeValue.plainMap(oldImage).write(into: &w)
            }
            w.writeRaw(",\"unchangedColumns\":[],\"sizeBytes\":")
            w.writeInt(d.sizeBytes)
            w.endObject()
        }
    }

    /// A number's text as received, or 0 when it is not a JSON number.
    static func writeNumberText(_ text: String, into w: inout JSONWriter) {
        if case .number(let n)? = try? JSONValue.parse(text) {
            w.writeRaw(Array(n.utf8))
        } else {
            w.writeRaw("0")
        }
    }

    /// The stream's view type cut down to the pipeline's view.
    static func narrowedViewType(_ streamViewType: String, _ view: View) -> String {
        guard let stream = View(rawValue: streamViewType) else { return view.rawValue }
        let new = stream.includesNewImage && view.includesNewImage
        let old = stream.includesOldImage && view.includesOldImage
        switch (new, old) {
        case (true, true): return View.newAndOldImages.rawValue
        case (true, false): return View.newImage.rawValue
        case (false, true): return View.oldImage.rawValue
        case (false, false): return View.keysOnly.rawValue
        }
    }
}
