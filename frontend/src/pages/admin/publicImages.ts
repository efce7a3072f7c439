import { pageHeader } from '../../components/ui';
import { renderImages } from '../images';
import type { Page } from '../page';

export const publicImagesPage: Page = (root, context) => {
  root.append(pageHeader('Public images'));
  renderImages(root, context, 'public');
};
