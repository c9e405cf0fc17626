namespace RagKit.Providers;

/// <summary>Diagnostic ids of the provider services (<c>RagKit.Providers</c>).</summary>
internal static class ProviderDiagnostics
{
    /// <summary>
    /// The <see cref="System.Diagnostics.CodeAnalysis.ExperimentalAttribute"/> id of the provider services: APIs for
    /// packages that implement RagKit tiers, stores and front ends, which may change between minor versions.
    /// </summary>
    public const string ExperimentalId = "RAGKIT001";
}
