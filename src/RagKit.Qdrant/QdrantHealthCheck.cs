using Microsoft.Extensions.Diagnostics.HealthChecks;
using RagKit.Retrieval;

namespace RagKit.Qdrant;

/// <summary>Health of the Qdrant store: healthy when Qdrant's own health call answers within the check's timeout.</summary>
internal sealed class QdrantHealthCheck(IVectorStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (store is not QdrantVectorStoreCore qdrant)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The pipeline's vector store is {store.GetType().Name}, not the Qdrant store.");
        }

        try
        {
            string server = await qdrant.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Qdrant {server}.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Qdrant did not answer its health call.", ex);
        }
    }
}
