using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace RagKit.Qdrant;

/// <summary>Every log event of RagKit.Qdrant. Event ids are in 5000–5999 (docs/telemetry.md lists the ranges of all packages).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, EventName = nameof(CollectionCreated), Level = LogLevel.Information,
        Message = "Created Qdrant collection {Collection} with vector size {Size} and cosine distance")]
    public static partial void CollectionCreated(ILogger logger, string collection, ulong size);

    [LoggerMessage(EventId = 5002, EventName = nameof(Retry), Level = LogLevel.Warning,
        Message = "Qdrant {Operation} failed transiently (attempt {Attempt}, {Status}); retrying in {DelayMs} ms")]
    public static partial void Retry(ILogger logger, string operation, int attempt, StatusCode status, double delayMs);
}
