import { pageHeader, section } from '../../components/ui';
import { newImageForm } from '../imageCreate';
import { renderCatalog } from '../images';
import type { Page } from '../page';

/** The platform admin's page: the provider's images (public or not yet), and a form for a new one. */
export const publicImagesPage: Page = (root, context) => {
  root.append(pageHeader('Public images'));
  renderCatalog(root, context, { hash: '#/admin/images', providerOnly: true });
  root.append(section('New provider image', newImageForm(context, { provider: true })));
};
