using System.Globalization;
using Engine.Transport.Http3.QPack;

namespace Engine.Transport.Http3;

/// <summary>
/// Why a response stream cannot continue. <see cref="IsConnectionError"/> says whether the whole
/// connection must close with <see cref="Code"/> (an HTTP/3 or QPACK code) or only this request
/// fails (the stream is stopped with it).
/// </summary>
internal readonly record struct Http3StreamFault(ulong Code, bool IsConnectionError, string Message)
{
    public static Http3StreamFault Stream(Http3ErrorCode code, string message) => new((ulong)code, false, message);

    public static Http3StreamFault Connection(Http3ErrorCode code, string message) => new((ulong)code, true, message);
}

/// <summary>
/// Sans-IO reader of one response stream (RFC 9114 §4.1): any number of informational (1xx)
/// HEADERS, the final HEADERS, DATA frames, then optionally one trailer HEADERS. Unknown and
/// GREASE frame types are skipped anywhere (§9). DATA is streamed into the body and unknown
/// payloads are skipped without buffering; only one HEADERS payload is ever buffered.
/// </summary>
/// <remarks>
/// Limits are checked when a frame header arrives: a HEADERS payload above
/// <see cref="Http3ClientOptions.MaxFieldSectionSize"/>, or a DATA frame that would take the body
/// past <see cref="Http3ClientOptions.MaxBodyBytes"/>, fails the request with H3_EXCESSIVE_LOAD.
/// A <c>:status</c> that is not three digits in 100–599, a missing or repeated one, or another
/// pseudo-header fails it with H3_MESSAGE_ERROR. Frames out of order, and frame types not allowed
/// on a request stream, are connection errors (H3_FRAME_UNEXPECTED; PUSH_PROMISE is H3_ID_ERROR
/// because we never send MAX_PUSH_ID); so is a field section QPACK cannot decode
/// (QPACK_DECOMPRESSION_FAILED, RFC 9204 §2.2).
/// </remarks>
internal sealed class Http3ResponseReader(Http3ClientResponse response, Http3ClientOptions options, QPackDecoder decoder)
{
    private readonly byte[] _header = new byte[Http3FrameReader.MaxHeaderLength];
    private int _headerCount;
    private byte[] _section = [];
    private int _sectionCount;
    private Http3PayloadCursor _payload;
    private FrameState _state;
    private Stage _stage;
    private long _bodyBytes;

    private enum FrameState : byte
    {
        Header,
        Section,
        Data,
        Skip,
    }

    private enum Stage : byte
    {
        AwaitingFinalHeaders,
        Body,
        AfterTrailers,
    }

    public Http3ClientResponse Response { get; } = response;

    /// <summary>Consumes the stream's next bytes; completes the response at its end. Returns null while all is well.</summary>
    public Http3StreamFault? Read(ReadOnlySpan<byte> data, bool finished)
    {
        while (!data.IsEmpty)
        {
            Http3StreamFault? fault = _state switch
            {
                FrameState.Header => ConsumeFrameHeader(ref data),
                FrameState.Section => ConsumeSection(ref data),
                FrameState.Data => ConsumeData(ref data),
                _ => ConsumeSkipped(ref data),
            };
            if (fault is not null)
            {
                return fault;
            }
        }

        return finished ? Finish() : null;
    }

    private Http3StreamFault? Finish()
    {
        if (_state != FrameState.Header || _headerCount != 0)
        {
            return Http3StreamFault.Stream(Http3ErrorCode.MessageError, "The response stream ended inside a frame.");
        }

        if (_stage == Stage.AwaitingFinalHeaders)
        {
            return Http3StreamFault.Stream(Http3ErrorCode.MessageError, "The response stream ended before the final response headers.");
        }

        Response.Complete();
        return null;
    }

    private Http3StreamFault? ConsumeFrameHeader(ref ReadOnlySpan<byte> data)
    {
        int taken = Math.Min(_header.Length - _headerCount, data.Length);
        data[..taken].CopyTo(_header.AsSpan(_headerCount));
        if (Http3FrameReader.TryReadFrameHeader(_header.AsSpan(0, _headerCount + taken), out ulong type, out ulong length, out int headerLength) != Http3ReadStatus.Done)
        {
            _headerCount += taken; // a header is at most 16 bytes, so everything was taken
            data = data[taken..];
            return null;
        }

        data = data[(headerLength - _headerCount)..];
        _headerCount = 0;
        return OnFrameHeader(type, length);
    }

    private Http3StreamFault? OnFrameHeader(ulong type, ulong length)
    {
        switch (type)
        {
            case (ulong)Http3FrameType.Data:
                if (_stage != Stage.Body)
                {
                    return Unexpected(_stage == Stage.AwaitingFinalHeaders ? "DATA before the final response headers" : "DATA after the trailers");
                }

                if (length > (ulong)(options.MaxBodyBytes - _bodyBytes))
                {
                    return Http3StreamFault.Stream(Http3ErrorCode.ExcessiveLoad, string.Create(CultureInfo.InvariantCulture,
                        $"A {length}-byte DATA frame would take the response body past MaxBodyBytes ({options.MaxBodyBytes}); {_bodyBytes} bytes had arrived."));
                }

                return StartPayload(FrameState.Data, length);
            case (ulong)Http3FrameType.Headers:
                if (_stage == Stage.AfterTrailers)
                {
                    return Unexpected("HEADERS after the trailers");
                }

                if (length > (ulong)options.MaxFieldSectionSize)
                {
                    return Http3StreamFault.Stream(Http3ErrorCode.ExcessiveLoad, string.Create(CultureInfo.InvariantCulture,
                        $"A {length}-byte HEADERS frame exceeds MaxFieldSectionSize ({options.MaxFieldSectionSize})."));
                }

                _section = _section.Length >= (int)length ? _section : new byte[(int)length];
                _sectionCount = 0;
                _payload = new Http3PayloadCursor(length);
                _state = FrameState.Section;
                return length == 0 ? OnSection([]) : null;
            case (ulong)Http3FrameType.PushPromise:
                return Http3StreamFault.Connection(Http3ErrorCode.IdError, "PUSH_PROMISE although this client never sent MAX_PUSH_ID.");
            default:
                if (Http3FrameTypes.IsKnown(type) || Http3FrameTypes.IsReservedHttp2(type))
                {
                    return Unexpected(string.Create(CultureInfo.InvariantCulture, $"frame type 0x{type:x} on a request stream"));
                }

                return StartPayload(FrameState.Skip, length); // unknown or GREASE (RFC 9114 §9)
        }
    }

    private Http3StreamFault? StartPayload(FrameState state, ulong length)
    {
        _payload = new Http3PayloadCursor(length);
        _state = _payload.IsComplete ? FrameState.Header : state;
        return null;
    }

    private static Http3StreamFault Unexpected(string what) =>
        Http3StreamFault.Connection(Http3ErrorCode.FrameUnexpected, $"Unexpected {what}.");

    private Http3StreamFault? ConsumeData(ref ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> payload = _payload.Take(data);
        Response.Body.Write(payload);
        _bodyBytes += payload.Length;
        data = data[payload.Length..];
        _state = _payload.IsComplete ? FrameState.Header : FrameState.Data;
        return null;
    }

    private Http3StreamFault? ConsumeSkipped(ref ReadOnlySpan<byte> data)
    {
        data = data[_payload.Take(data).Length..];
        _state = _payload.IsComplete ? FrameState.Header : FrameState.Skip;
        return null;
    }

    private Http3StreamFault? ConsumeSection(ref ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> part = _payload.Take(data);
        part.CopyTo(_section.AsSpan(_sectionCount));
        _sectionCount += part.Length;
        data = data[part.Length..];
        return _payload.IsComplete ? OnSection(_section.AsSpan(0, _sectionCount)) : null;
    }

    private Http3StreamFault? OnSection(ReadOnlySpan<byte> section)
    {
        _state = FrameState.Header;
        var fields = new ResponseFields();
        QPackStatus decoded = decoder.Decode(section, options.MaxFieldSectionSize, ref fields);
        if (decoded.TryGetErrorCode(out QPackErrorCode qpackError))
        {
            return new Http3StreamFault((ulong)qpackError, true, "The response's field section could not be decompressed (QPACK).");
        }

        if (decoded == QPackStatus.FieldSectionTooLarge)
        {
            return Http3StreamFault.Stream(Http3ErrorCode.ExcessiveLoad, string.Create(CultureInfo.InvariantCulture,
                $"The decoded response field section exceeds MaxFieldSectionSize ({options.MaxFieldSectionSize})."));
        }

        if (_stage == Stage.Body)
        {
            _stage = Stage.AfterTrailers;
            Response.HadTrailers = true;
            return fields.PseudoHeaders == 0 && fields.Problem is null
                ? null
                : Http3StreamFault.Stream(Http3ErrorCode.MessageError, "The response trailers contain a pseudo-header or an invalid field.");
        }

        if (fields.Problem is { } problem)
        {
            return Http3StreamFault.Stream(Http3ErrorCode.MessageError, problem);
        }

        if (fields.Status == 101 || fields.Status < 100)
        {
            return Http3StreamFault.Stream(Http3ErrorCode.MessageError, "A response :status must be three digits from 100 to 599 (101 is not used in HTTP/3).");
        }

        if (fields.Status < 200)
        {
            Response.InformationalResponses++; // an interim response; the final one follows
            return null;
        }

        Response.Status = fields.Status;
        _stage = Stage.Body;
        return null;
    }

    /// <summary>Checks a response header section's pseudo-headers: exactly one valid <c>:status</c>, first, and nothing else.</summary>
    private struct ResponseFields : IQPackHeaderHandler
    {
        public int Status { get; private set; }

        public int PseudoHeaders { get; private set; }

        public string? Problem { get; private set; }

        private bool _regularSeen;

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (!QPackValidation.IsValidFieldName(name) || !QPackValidation.IsValidFieldValue(value))
            {
                Problem ??= "A response field has an invalid name or value (RFC 9114 §4.2).";
                return;
            }

            if (name[0] != (byte)':')
            {
                _regularSeen = true;
                return;
            }

            PseudoHeaders++;
            if (!name.SequenceEqual(":status"u8))
            {
                Problem ??= "A response contains a pseudo-header other than :status.";
            }
            else if (_regularSeen || PseudoHeaders > 1)
            {
                Problem ??= "A response :status is repeated or follows a regular field.";
            }
            else
            {
                Status = ParseStatus(value);
            }
        }

        /// <summary>Three ASCII digits from 100 to 599, else 0.</summary>
        private static int ParseStatus(ReadOnlySpan<byte> value)
        {
            if (value.Length != 3 || value[0] is < (byte)'1' or > (byte)'5' || !char.IsAsciiDigit((char)value[1]) || !char.IsAsciiDigit((char)value[2]))
            {
                return 0;
            }

            return ((value[0] - '0') * 100) + ((value[1] - '0') * 10) + (value[2] - '0');
        }
    }
}
