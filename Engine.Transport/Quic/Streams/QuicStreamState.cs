namespace Engine.Transport.Quic.Streams;

/// <summary>Sending part of a stream (RFC 9000 §3.1).</summary>
internal enum SendStreamState : byte
{
    /// <summary>Open, nothing sent yet.</summary>
    Ready,

    /// <summary>Sending data; FIN not yet sent.</summary>
    Send,

    /// <summary>Everything including FIN sent, not all acknowledged.</summary>
    DataSent,

    /// <summary>Everything including FIN acknowledged (terminal).</summary>
    DataRecvd,

    /// <summary>RESET_STREAM sent (or queued), not yet acknowledged.</summary>
    ResetSent,

    /// <summary>RESET_STREAM acknowledged (terminal).</summary>
    ResetRecvd,
}

/// <summary>Receiving part of a stream (RFC 9000 §3.2).</summary>
internal enum ReceiveStreamState : byte
{
    /// <summary>Receiving; final size unknown.</summary>
    Recv,

    /// <summary>FIN seen, some data still missing.</summary>
    SizeKnown,

    /// <summary>All data up to the final size received, not all read.</summary>
    DataRecvd,

    /// <summary>The application read everything (terminal).</summary>
    DataRead,

    /// <summary>RESET_STREAM received, the application not yet told.</summary>
    ResetRecvd,

    /// <summary>The application was told of the reset (terminal).</summary>
    ResetRead,
}

internal static class StreamStateExtensions
{
    public static bool IsTerminal(this SendStreamState state) => state is SendStreamState.DataRecvd or SendStreamState.ResetRecvd;

    public static bool IsReset(this SendStreamState state) => state is SendStreamState.ResetSent or SendStreamState.ResetRecvd;

    public static bool IsTerminal(this ReceiveStreamState state) => state is ReceiveStreamState.DataRead or ReceiveStreamState.ResetRead;

    public static bool IsReset(this ReceiveStreamState state) => state is ReceiveStreamState.ResetRecvd or ReceiveStreamState.ResetRead;

    /// <summary>Still receiving data: neither reset nor complete.</summary>
    public static bool IsReceiving(this ReceiveStreamState state) => state is ReceiveStreamState.Recv or ReceiveStreamState.SizeKnown;
}
