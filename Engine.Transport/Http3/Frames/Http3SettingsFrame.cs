using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// SETTINGS (type 0x4, RFC 9114 §7.2.4): the raw list of (identifier, value) pairs, in wire order,
/// unknown and GREASE identifiers included. <see cref="Http3Settings"/> gives them meaning.
/// Varints are written shortest-form, which is what the large identifiers need: 0x2b603742 and
/// 0xffd277 take 4 bytes, 0xc671706a and most GREASE identifiers take 8.
/// </summary>
internal readonly record struct Http3SettingsFrame(IReadOnlyList<Http3Setting> Settings) : IHttp3Frame
{
    /// <summary>Above this many pairs, duplicates are found with a set rather than by scanning.</summary>
    private const int LinearDuplicateScanLimit = 16;

    /// <summary>
    /// Parses a SETTINGS payload. A payload ending inside a pair is <see cref="Http3ErrorCode.FrameError"/>;
    /// a reserved HTTP/2 identifier or a repeated identifier is <see cref="Http3ErrorCode.SettingsError"/>.
    /// Returns <see cref="Http3ErrorCode.NoError"/> on success.
    /// </summary>
    public static Http3ErrorCode TryReadPayload(ReadOnlySpan<byte> payload, out Http3SettingsFrame frame)
    {
        frame = new Http3SettingsFrame([]);
        var settings = new List<Http3Setting>();
        HashSet<ulong>? seen = null;
        var reader = new SpanReader(payload);
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadVarint(out ulong id) || !reader.TryReadVarint(out ulong value))
            {
                return Http3ErrorCode.FrameError;
            }

            if (Http3Setting.IsReservedHttp2(id))
            {
                return Http3ErrorCode.SettingsError;
            }

            if (settings.Count < LinearDuplicateScanLimit)
            {
                foreach (Http3Setting earlier in settings)
                {
                    if (earlier.Id == id)
                    {
                        return Http3ErrorCode.SettingsError;
                    }
                }
            }
            else
            {
                if (seen is null)
                {
                    seen = new HashSet<ulong>();
                    foreach (Http3Setting earlier in settings)
                    {
                        seen.Add(earlier.Id);
                    }
                }

                if (!seen.Add(id))
                {
                    return Http3ErrorCode.SettingsError;
                }
            }

            settings.Add(new Http3Setting(id, value));
        }

        frame = new Http3SettingsFrame(settings);
        return Http3ErrorCode.NoError;
    }

    /// <summary>
    /// Reads a whole SETTINGS frame; another type is <see cref="Http3ErrorCode.FrameUnexpected"/>,
    /// a payload over <paramref name="maxPayload"/> is <see cref="Http3ErrorCode.ExcessiveLoad"/>.
    /// </summary>
    public static Http3ReadStatus TryRead(
        ReadOnlySpan<byte> input,
        ulong maxPayload,
        out Http3SettingsFrame frame,
        out int bytesConsumed,
        out Http3ErrorCode error)
    {
        frame = new Http3SettingsFrame([]);
        Http3ReadStatus status = Http3FrameCodec.TryReadBuffered(input, Http3FrameType.Settings, maxPayload, out ReadOnlySpan<byte> payload, out bytesConsumed, out error);
        if (status != Http3ReadStatus.Done)
        {
            return status;
        }

        error = TryReadPayload(payload, out frame);
        if (error != Http3ErrorCode.NoError)
        {
            bytesConsumed = 0;
            return Http3ReadStatus.Error;
        }

        return Http3ReadStatus.Done;
    }

    /// <summary>Bytes of the payload alone.</summary>
    public int GetPayloadLength()
    {
        int length = 0;
        foreach (Http3Setting setting in Settings)
        {
            length += VarInt.GetLength(setting.Id) + VarInt.GetLength(setting.Value);
        }

        return length;
    }

    public int GetLength()
    {
        int payloadLength = GetPayloadLength();
        return Http3FrameReader.GetHeaderLength((ulong)Http3FrameType.Settings, (ulong)payloadLength) + payloadLength;
    }

    public void Write(ref SpanWriter writer)
    {
        Http3FrameReader.WriteHeader(ref writer, (ulong)Http3FrameType.Settings, (ulong)GetPayloadLength());
        foreach (Http3Setting setting in Settings)
        {
            writer.WriteVarint(setting.Id);
            writer.WriteVarint(setting.Value);
        }
    }
}
