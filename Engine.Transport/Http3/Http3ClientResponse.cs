namespace Engine.Transport.Http3;

/// <summary>
/// A response as received: the final status, and the body once the stream ended. Exactly one of
/// <see cref="IsComplete"/> and <see cref="Failure"/> ends up set, and <see cref="Completion"/>
/// completes (or faults with <see cref="Failure"/>) at the same time.
/// </summary>
internal sealed class Http3ClientResponse(long streamId)
{
    private readonly TaskCompletionSource<Http3ClientResponse> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long StreamId { get; } = streamId;

    /// <summary>The final (non-1xx) status; 0 until its HEADERS frame arrived.</summary>
    public int Status { get; internal set; }

    /// <summary>How many informational (1xx) responses came before the final one; they are otherwise ignored.</summary>
    public int InformationalResponses { get; internal set; }

    /// <summary>True when a trailer section followed the body (decoded, not kept).</summary>
    public bool HadTrailers { get; internal set; }

    public MemoryStream Body { get; } = new();

    public bool IsComplete { get; private set; }

    /// <summary>Why the exchange failed (stream reset, malformed response, a limit, GOAWAY, connection closed).</summary>
    public Http3RequestException? Failure { get; private set; }

    /// <summary>The error code of <see cref="Failure"/>, if any.</summary>
    public Http3ErrorCode? Error => Failure?.ErrorCode;

    /// <summary>Completes with this response once it is whole; faults with <see cref="Failure"/>.</summary>
    public Task<Http3ClientResponse> Completion => _completion.Task;

    internal bool IsFinished => IsComplete || Failure is not null;

    internal void Complete()
    {
        if (!IsFinished)
        {
            IsComplete = true;
            _completion.TrySetResult(this);
        }
    }

    internal void Fail(Http3RequestException failure)
    {
        if (!IsFinished)
        {
            Failure = failure;
            _completion.TrySetException(failure);
        }
    }
}

/// <summary>
/// An HTTP/3 request that failed. <see cref="ErrorCode"/> is the HTTP/3 (or QPACK) code involved;
/// <see cref="IsSafeToRetry"/> is true when the server is known not to have processed it
/// (GOAWAY, H3_REQUEST_REJECTED), so it may be sent again on another connection.
/// </summary>
internal sealed class Http3RequestException : Exception
{
    public Http3RequestException()
    {
    }

    public Http3RequestException(string message)
        : base(message)
    {
    }

    public Http3RequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public Http3RequestException(Http3ErrorCode errorCode, string message, bool isSafeToRetry = false)
        : base(message)
    {
        ErrorCode = errorCode;
        IsSafeToRetry = isSafeToRetry;
    }

    public Http3ErrorCode ErrorCode { get; } = Http3ErrorCode.GeneralProtocolError;

    public bool IsSafeToRetry { get; }
}
