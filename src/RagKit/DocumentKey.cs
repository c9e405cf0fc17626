namespace RagKit;

/// <summary>Identifies a document: tenant, collection and the document's own id.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Collection">The collection within the tenant.</param>
/// <param name="DocumentId">The document id, unique within the collection.</param>
public readonly record struct DocumentKey(string Tenant, string Collection, string DocumentId)
{
    /// <inheritdoc />
    public override string ToString() => $"{Tenant}/{Collection}/{DocumentId}";
}
